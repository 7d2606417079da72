<%inherit file="layout.mako"/>
<%def name="title()">Sign in</%def>
<h1>Sign in</h1>
% if error:
<p class="error">${error}</p>
% endif
<form method="post" action="${request.route_url('login')}">
  <input type="hidden" name="csrf_token" value="${csrf_token}">
  % if next:
  <input type="hidden" name="next" value="${next}">
  % endif
  <p><label>Name <input name="name" value="${name}" autocomplete="username" required></label></p>
  <p><label>Password <input type="password" name="password" autocomplete="current-password" required></label></p>
  <p><button type="submit">Sign in</button></p>
</form>
