<%inherit file="layout.mako"/>
<%def name="title()">Not found</%def>
<h1>Not found</h1>
<p>${message}</p>
