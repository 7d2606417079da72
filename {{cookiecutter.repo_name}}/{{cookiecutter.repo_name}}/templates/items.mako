<%inherit file="layout.mako"/>
<%namespace file="item_rows.mako" import="item_rows"/>
<%def name="title()">Items, page ${listing['page']}</%def>
<h1>Items, page ${listing['page']}</h1>
<ul class="items">
${item_rows(listing['items'])}
</ul>
<nav class="pager">
% if listing['page'] > 1:
<a rel="prev" href="${request.route_url('items', _query={'page': listing['page'] - 1})}">Previous</a>
% endif
% if listing['has_next']:
<a rel="next" href="${request.route_url('items', _query={'page': listing['page'] + 1, 'after': listing['next_after']})}">Next</a>
% endif
</nav>
