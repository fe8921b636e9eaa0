-- Shared by the scenario scripts: the bearer token and a list read from a file.
token = os.getenv("BENCH_TOKEN")
headers = { ["Authorization"] = "Bearer " .. (token or ""), ["Content-Type"] = "application/json" }

function lines(path)
  local list = {}
  for line in io.lines(path) do list[#list + 1] = line end
  return list
end

-- The write scenarios act as one of many learners (tokens in $BENCH_TOKENS), as in production:
-- one learner does not submit thousands of quizzes a second.
learner_tokens = os.getenv("BENCH_TOKENS") and lines(os.getenv("BENCH_TOKENS")) or {}
function learner_headers()
  return { ["Authorization"] = "Bearer " .. learner_tokens[math.random(#learner_tokens)],
           ["Content-Type"] = "application/json" }
end

math.randomseed(os.time())
