-- GET one of the paths in $BENCH_PATHS (a file, one path per line), at random.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
paths = lines(os.getenv("BENCH_PATHS"))
request = function()
  return wrk.format("GET", paths[math.random(#paths)], headers)
end
