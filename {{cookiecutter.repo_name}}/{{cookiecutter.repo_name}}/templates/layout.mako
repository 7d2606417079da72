<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${self.title()}</title>
  <meta name="description" content="${project_description}">
  <link rel="icon" type="image/svg+xml" href="${request.static_url(package + ':static/favicon.svg')}">
  <link rel="stylesheet" href="${request.static_url(package + ':static/app.css')}">
</head>
<body>
  <header><a href="${request.route_url('home')}">${project_name}</a> <nav><a href="${request.route_url('items')}">Items</a> <a id="whoami" href="${request.route_url('login')}" data-url="${request.route_url('whoami')}">Sign in</a><script src="${request.static_url(package + ':static/whoami.js')}" defer></script></nav></header>
  <main>${self.body()}</main>
</body>
</html>
<%def name="title()">${project_name}</%def>
