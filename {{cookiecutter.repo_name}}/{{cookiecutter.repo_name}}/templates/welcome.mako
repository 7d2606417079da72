<%inherit file="layout.mako"/>
<%def name="title()">${project_name}</%def>
<h1>${project_name}</h1>
<p>Up and running. Add your pages in <code>views/</code>; <a href="${request.route_url('healthz')}">/healthz</a> reports the backends.</p>
