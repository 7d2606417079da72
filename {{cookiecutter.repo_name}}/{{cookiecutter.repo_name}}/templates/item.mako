<%inherit file="layout.mako"/>
<%def name="title()">${item['name']}</%def>
<h1>${item['name']}</h1>
<p class="category">${item['category']['name']}</p>
<p class="price">${'%.2f' % (item['price_cents'] / 100)}</p>
<p class="tags">
% for tag in item['tags']:
<span class="tag">${tag}</span>
% endfor
</p>
<div class="description">${item['description']}</div>
