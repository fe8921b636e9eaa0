#!/usr/bin/env python3
"""Writes the synthetic benchmark course: N chapters of about 30 KB, each with a 5-question quiz.

Usage: generate_course.py OUT_DIR [CHAPTERS]. Deterministic (fixed seed), so runs compare.
"""
import itertools
import os
import random
import sys

# The course's technical terms. Each chapter is about a dozen of them, so a term is common
# in its own chapters and rare elsewhere, as in a real course.
WORDS = """agent model tool retrieval memory planning evaluation latency token context window prompt
schema function call result error retry budget guardrail approval trace span metric cost cache
vector embedding chunk ranking citation grounding summary episode state loop step reflection
critic worker orchestrator handoff queue policy permission audit incident rollback deploy replica
database index query search snippet passage section heading chapter quiz answer streak progress
learner tutor course lesson example exercise review feedback score pass mark attempt session
sandbox replay fixture assertion benchmark throughput backoff timeout deadline idempotency webhook
payload header bearer scope refresh rotation secret vault tenant quota shard partition snapshot
checkpoint migration version rollout canary flag dashboard alert threshold sampling histogram
percentile regression baseline dataset label annotation rubric judge preference reward tokenizer
vocabulary stemming fuzzy phrase boost relevance recall precision hallucination refusal jailbreak
injection filter moderation transcript streaming websocket polling callback scheduler cron lease
lock mutex contention backpressure buffer batch pipeline stage graph node edge planner executor
verifier router dispatcher registry manifest plugin adapter connector parser serializer encoder
decoder compression encryption signature certificate handshake redirect consent grant revocation""".split()

# Function words, most frequent first: about 45 % of running English text.
FUNCTION_WORDS = """the of and to a in is that it for as with on be this by are or an at from can
you your we not when each which if its one more they their has have will was but than into also so
only how what then use used first all these other most any may should must before after while
where there both does do because new same some through about between just every""".split()

# The rest of a text's vocabulary: a few thousand made-up words with a Zipf distribution, so a
# few are everywhere and most are rare.
ONSETS = "b c d f g h j k l m n p r s t v w z br cl dr fl gr pl pr st tr sh th ch".split()
VOWELS = "a e i o u ai ea io ou".split()
CODAS = ["", "", "n", "r", "l", "s", "t", "m", "nd", "rt", "st", "ck"]


def general_vocabulary(rng, size=6000):
    words, seen = [], set(WORDS) | set(FUNCTION_WORDS)
    while len(words) < size:
        word = "".join(rng.choice(ONSETS) + rng.choice(VOWELS) for _ in range(rng.choice((2, 2, 3))))
        word += rng.choice(CODAS)
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_cumulative(count, exponent=1.05):
    """Cumulative Zipf weights for `random.choices`: rank r is drawn in proportion to 1/r^s."""
    return list(itertools.accumulate(1 / (rank ** exponent) for rank in range(1, count + 1)))


class Vocabulary:
    """Draws the words of running text for a chapter about `topic` (a dozen of WORDS)."""

    def __init__(self, rng):
        self.general = general_vocabulary(rng)
        self.general_cumulative = zipf_cumulative(len(self.general))
        self.function_cumulative = zipf_cumulative(len(FUNCTION_WORDS), 0.9)

    def general_words(self, rng, count):
        return rng.choices(self.general, cum_weights=self.general_cumulative, k=count)

    def words(self, rng, topic, count):
        kinds = rng.choices(range(4), (45, 14, 4, 37), k=count)
        draws = [
            iter(rng.choices(FUNCTION_WORDS, cum_weights=self.function_cumulative, k=count)),
            iter(rng.choices(topic, k=count)),
            iter(rng.choices(WORDS, k=count)),
            iter(self.general_words(rng, count)),
        ]
        return [next(draws[kind]) for kind in kinds]


def paragraph(rng, vocabulary, topic, words=90):
    text = vocabulary.words(rng, topic, words)
    sentences, at = [], 0
    while at < len(text):
        length = rng.randint(8, 20)
        sentence = " ".join(text[at:at + length])
        sentences.append(sentence[0].upper() + sentence[1:] + ".")
        at += length
    return " ".join(sentences)


def chapter_body(rng, vocabulary, number, title, topic):
    parts = [f"# {title}\n"]
    size = 0
    section = 0
    while size < 30_000:
        if size // 2400 >= section:
            section += 1
            parts.append(f"\n## Part {section}: {rng.choice(topic)} and {rng.choice(topic)}\n")
        if section == 3 and "```" not in "".join(parts):
            parts.append(f"\n```python\ndef step_{number}(tool_call):\n    return run(tool_call)\n```\n")
        block = "\n" + paragraph(rng, vocabulary, topic) + "\n"
        parts.append(block)
        size += len(block)
    return "".join(parts)


def chapter_topic(number):
    """The dozen terms chapter `number` is about (also what its learners search for)."""
    return random.Random(number).sample(WORDS, 12)


QUESTIONS = ["how does the {}", "what is a {}", "why do we need {}", "when should I use the {}",
             "how to handle {} in the {}", "difference between {} and {}"]


def queries(count, chapters, seed=7):
    """`count` distinct searches a learner might send about a course of `chapters` chapters:
    a few of a chapter's terms, a question in plain words, or a term and a rarer word."""
    rng = random.Random(seed)
    vocabulary = Vocabulary(random.Random(42))
    out = set()
    while len(out) < count:
        topic = chapter_topic(rng.randint(1, chapters))
        kind = rng.random()
        if kind < 0.5:
            query = " ".join(rng.sample(topic, rng.choice((2, 3))))
        elif kind < 0.75:
            template = rng.choice(QUESTIONS)
            query = template.format(*rng.sample(topic, template.count("{}")))
        else:
            query = f"{rng.choice(topic)} {vocabulary.general_words(rng, 1)[0]}"
        out.add(query)
    return sorted(out)


def quiz(number, slug):
    return f'''chapter = "{slug}"
title = "Quiz {number}"

[[questions]]
kind = "single_choice"
text = "Question one of chapter {number}?"
options = {{ A = "first", B = "second", C = "third", D = "fourth" }}
answer = "B"
explanation = "Because the chapter says so."

[[questions]]
kind = "single_choice"
text = "Question two of chapter {number}?"
options = {{ A = "first", B = "second", C = "third", D = "fourth" }}
answer = "C"
explanation = "Because the chapter says so."

[[questions]]
kind = "multiple_choice"
text = "Question three of chapter {number}?"
options = {{ A = "first", B = "second", C = "third", D = "fourth" }}
answer = ["A", "D"]
explanation = "Because the chapter says so."

[[questions]]
kind = "true_false"
text = "Question four of chapter {number}?"
answer = "true"
explanation = "Because the chapter says so."

[[questions]]
kind = "single_choice"
text = "Question five of chapter {number}?"
options = {{ A = "first", B = "second" }}
answer = "A"
explanation = "Because the chapter says so."
'''


def main():
    out = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rng = random.Random(42)
    vocabulary = Vocabulary(rng)
    os.makedirs(f"{out}/chapters", exist_ok=True)
    os.makedirs(f"{out}/quizzes", exist_ok=True)
    with open(f"{out}/course.toml", "w") as f:
        f.write('title = "Benchmark course"\nslug = "benchmark-course"\n')
    difficulties = ["beginner", "intermediate", "advanced"]
    for number in range(1, count + 1):
        slug = f"chapter-{number:04d}"
        topic = chapter_topic(number)
        title = f"Chapter {number}: {topic[0]} {topic[1]}"
        body = chapter_body(rng, vocabulary, number, title, topic)
        with open(f"{out}/chapters/{slug}.md", "w") as f:
            f.write(f"---\ntitle: {title}\nslug: {slug}\norder: {number}\n"
                    f"difficulty: {difficulties[number % 3]}\nestimated_minutes: 20\n---\n{body}")
        with open(f"{out}/quizzes/{slug}.toml", "w") as f:
            f.write(quiz(number, slug))


if __name__ == "__main__":
    main()
