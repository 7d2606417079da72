<%inherit file="layout.mako"/>
<h1>${project_name}</h1>
<p>${summary['item_count']} items in ${len(summary['categories'])} categories.</p>
<ul class="categories">
% for category in summary['categories']:
  <li>${category['name']} <span class="count">${category['item_count']}</span></li>
% endfor
</ul>
<h2>Latest</h2>
<ul class="items">
% for item in summary['latest']:
  ${request.cache.fragment('items', 'item_rows#item_rows.mako', item['id'], items=[item])}
% endfor
</ul>
