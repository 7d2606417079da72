<%def name="item_rows(items)">
<% item_path = request.path_template('item', 'id') %>
% for item in items:
<li class="item"><a href="${item_path.format(id=item['id'])}">${item['name']}</a> <span class="category">${item['category']['name']}</span>
% for tag in item['tags']:
 <span class="tag">${tag}</span>
% endfor
</li>
% endfor
</%def>
