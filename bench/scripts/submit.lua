-- POST a quiz submission as one of many learners. Every request is a first submission: its
-- submission_id is unique to the run ($BENCH_RUN_ID), the thread and the request, so none is
-- answered as a replay (run.sh counts replays from the server's metrics; the report shows them).
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
local path = os.getenv("BENCH_SUBMIT_PATH")
local answers = os.getenv("BENCH_SUBMIT_ANSWERS")
local run = os.getenv("BENCH_RUN_ID") or tostring(os.time())
-- setup runs once per thread in the main interpreter: it numbers the threads 1, 2, …
-- and sets each one's global `thread_id` (a global: thread:set cannot reach a local).
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
thread_id = 0
counter = 0
request = function()
  counter = counter + 1
  local id = run .. "-" .. thread_id .. "-" .. counter
  local body = '{"answers":' .. answers .. ',"submission_id":"' .. id .. '"}'
  return wrk.format("POST", path, learner_headers(), body)
end
