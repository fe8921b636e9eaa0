-- PUT progress for a random chapter (slugs in $BENCH_PATHS).
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
slugs = lines(os.getenv("BENCH_PATHS"))
request = function()
  return wrk.format("PUT", "/api/v1/progress/me", headers, '{"chapter_id":"' .. slugs[math.random(#slugs)] .. '"}')
end
