-- Shared by the scenario scripts: the bearer token and a list read from a file.
token = os.getenv("BENCH_TOKEN")
headers = { ["Authorization"] = "Bearer " .. (token or ""), ["Content-Type"] = "application/json" }

function lines(path)
  local list = {}
  for line in io.lines(path) do list[#list + 1] = line end
  return list
end

math.randomseed(os.time())
