-- PUT progress for a random chapter (slugs in $BENCH_PATHS) as one of many learners.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
slugs = lines(os.getenv("BENCH_PATHS"))
request = function()
  local body = '{"chapter_id":"' .. slugs[math.random(#slugs)] .. '"}'
  return wrk.format("PUT", "/api/v1/progress/me", learner_headers(), body)
end
