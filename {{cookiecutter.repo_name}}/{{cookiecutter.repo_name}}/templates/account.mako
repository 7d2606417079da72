<%inherit file="layout.mako"/>
<%def name="title()">Your account</%def>
<h1>Hello, <span class="user-name">${account.name}</span></h1>
<p>Member since ${account.created_at.strftime('%Y-%m-%d')}${'; signed in at ' + signed_in_at if signed_in_at else ''}.</p>
<p>This page is yours alone: it is sent <code>private</code> and never stored by the page cache.</p>
<form method="post" action="${request.route_url('logout')}">
  <input type="hidden" name="csrf_token" value="${csrf_token}">
  <button type="submit">Sign out</button>
</form>
