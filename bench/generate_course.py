#!/usr/bin/env python3
"""Writes the synthetic benchmark course: N chapters of about 30 KB, each with a 5-question quiz.

Usage: generate_course.py OUT_DIR [CHAPTERS]. Deterministic (fixed seed), so runs compare.
"""
import os
import random
import sys

WORDS = """agent model tool retrieval memory planning evaluation latency token context window prompt
schema function call result error retry budget guardrail approval trace span metric cost cache
vector embedding chunk ranking citation grounding summary episode state loop step reflection
critic worker orchestrator handoff queue policy permission audit incident rollback deploy replica
database index query search snippet passage section heading chapter quiz answer streak progress
learner tutor course lesson example exercise review feedback score pass mark attempt session""".split()


def paragraph(rng, words=90):
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def chapter_body(rng, number, title):
    parts = [f"# {title}\n"]
    size = 0
    section = 0
    while size < 30_000:
        if size // 2400 >= section:
            section += 1
            parts.append(f"\n## Part {section}: {rng.choice(WORDS)} and {rng.choice(WORDS)}\n")
        if section == 3 and "```" not in "".join(parts):
            parts.append(f"\n```python\ndef step_{number}(tool_call):\n    return run(tool_call)\n```\n")
        block = "\n" + paragraph(rng) + "\n"
        parts.append(block)
        size += len(block)
    return "".join(parts)


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
    os.makedirs(f"{out}/chapters", exist_ok=True)
    os.makedirs(f"{out}/quizzes", exist_ok=True)
    with open(f"{out}/course.toml", "w") as f:
        f.write('title = "Benchmark course"\nslug = "benchmark-course"\n')
    difficulties = ["beginner", "intermediate", "advanced"]
    for number in range(1, count + 1):
        slug = f"chapter-{number:04d}"
        title = f"Chapter {number}: {rng.choice(WORDS)} {rng.choice(WORDS)}"
        body = chapter_body(rng, number, title)
        with open(f"{out}/chapters/{slug}.md", "w") as f:
            f.write(f"---\ntitle: {title}\nslug: {slug}\norder: {number}\n"
                    f"difficulty: {difficulties[number % 3]}\nestimated_minutes: 20\n---\n{body}")
        with open(f"{out}/quizzes/{slug}.toml", "w") as f:
            f.write(quiz(number, slug))


if __name__ == "__main__":
    main()
