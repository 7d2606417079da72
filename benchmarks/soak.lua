-- wrk script for the soak: each connection's requests rotate through the paths
-- given after `--`; status counting and the BENCH_JSON line come from
-- wrk_report.lua, loaded from this script's own directory.
local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_report.lua")

local report_init = init
local requests, next_request = {}, 0

function init(args)
  report_init(args)
  for _, path in ipairs(args) do
    table.insert(requests, wrk.format("GET", path))
  end
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end
