-- POST a check-in as one of many learners (tokens in $BENCH_TOKENS).
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
tokens = lines(os.getenv("BENCH_TOKENS"))
request = function()
  local h = { ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)] }
  return wrk.format("POST", "/api/v1/streaks/me/checkin", h)
end
