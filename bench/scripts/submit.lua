-- POST a quiz submission as one of many learners, with a unique submission_id per request.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
local path = os.getenv("BENCH_SUBMIT_PATH")
local answers = os.getenv("BENCH_SUBMIT_ANSWERS")
local counter = 0
local thread_id = 0
setup = function(thread) thread:set("thread_id", math.random(1, 1000000000)) end
request = function()
  counter = counter + 1
  local body = '{"answers":' .. answers .. ',"submission_id":"b' .. thread_id .. '-' .. counter .. '"}'
  return wrk.format("POST", path, learner_headers(), body)
end
