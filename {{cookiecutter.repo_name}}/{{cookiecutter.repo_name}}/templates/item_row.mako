<%def name="item_row(item)">
<li class="item"><a href="${request.route_path('item', id=item['id'])}">${item['name']}</a> <span class="category">${item['category']['name']}</span>
% for tag in item['tags']:
 <span class="tag">${tag}</span>
% endfor
</li>
</%def>
