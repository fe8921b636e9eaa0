-- POST a check-in as one of many learners.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
request = function()
  return wrk.format("POST", "/api/v1/streaks/me/checkin", learner_headers())
end
