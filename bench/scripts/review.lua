-- A review session as one of many learners: every other request fetches the due queue
-- (GET /api/v1/review?limit=10), the others answer one card of the first quiz
-- (POST /api/v1/review/{question_id}) with a review_id unique to the run, thread and request,
-- so each answer is graded and reschedules a card.
dofile(os.getenv("BENCH_SCRIPTS") .. "/common.lua")
-- Lines of "<question id> <answer as JSON>".
local cards = {}
for _, line in ipairs(lines(os.getenv("BENCH_REVIEW_CARDS"))) do
  local id, answer = line:match("^(%S+) (.+)$")
  cards[#cards + 1] = { path = "/api/v1/review/" .. id, answer = answer }
end
local run = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local threads = 0
setup = function(thread)
  threads = threads + 1
  thread:set("thread_id", threads)
end
thread_id = 0
counter = 0
request = function()
  counter = counter + 1
  if counter % 2 == 1 then
    return wrk.format("GET", "/api/v1/review?limit=10", learner_headers())
  end
  local card = cards[math.random(#cards)]
  local id = run .. "-" .. thread_id .. "-" .. counter
  local body = '{"answer":' .. card.answer .. ',"review_id":"' .. id .. '"}'
  return wrk.format("POST", card.path, learner_headers(), body)
end
