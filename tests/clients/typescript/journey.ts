// A learner's journey through a TypeScript client generated from the served OpenAPI document.
//
//   BASE_URL=http://127.0.0.1:8000 tsx journey.ts       (after: openapi-typescript … -o generated/api.d.ts)
//
// `generated/api.d.ts` is produced at run time by openapi-typescript (scripts/check-clients.sh)
// and the calls go through openapi-fetch, typed by it: `tsc --noEmit` checks this file against
// the document's types before it runs. Nothing here speaks HTTP itself. Types are taken from
// the operations (paths), not from component names, so renaming a schema does not break it.

import assert from "node:assert/strict";
import { createHash, randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { paths } from "./generated/api";

const BASE_URL = (process.env.BASE_URL ?? "http://127.0.0.1:8000").replace(/\/+$/, "");
const PASSWORD = "correct horse 1";
const FREE_CHAPTERS = 3;

type Json<T> = T extends { content: { "application/json": infer Body } } ? Body : never;
type SubmitBody = NonNullable<
  paths["/api/v1/quizzes/{quiz_id}/submit"]["post"]["requestBody"]
>["content"]["application/json"];
type Answer = SubmitBody["answers"][string];
type QuizView = Json<paths["/api/v1/quizzes/{quiz_id}"]["get"]["responses"][200]>;
type Question = QuizView["questions"][number];

function ok(step: string, status: number, expected: number, body: unknown): void {
  assert.equal(status, expected, `${step}: expected ${expected}, got ${status}: ${JSON.stringify(body)?.slice(0, 600)}`);
  console.log(`ok  ${step} -> ${status}`);
}

/** An answer chosen by a rule from the question's kind; correctness does not matter. */
function answerFor(question: Question): Answer {
  const keys = question.options.map((option) => option.key);
  switch (question.kind) {
    case "true_false":
      assert.deepEqual(keys, [], `true_false question ${question.id} has options`);
      return "true";
    case "single_choice":
      assert.ok(keys.length > 0, `question ${question.id} has no options`);
      return keys[0]!;
    case "multiple_choice":
      assert.ok(keys.length > 0, `question ${question.id} has no options`);
      return keys.slice(0, 2);
  }
}

/** A graded answer (string or array) as upper-case keys, for comparison. */
function asKeys(answer: Answer | null | undefined): string[] {
  if (answer === null || answer === undefined) return [];
  return (typeof answer === "string" ? [answer] : [...answer]).map((key) => key.toUpperCase()).sort();
}

async function main(): Promise<void> {
  const today = new Date().toISOString().slice(0, 10);
  const email = `ts-journey-${randomUUID().slice(0, 12)}@example.com`;

  // 1. Register: 201 with a bearer token, a free-tier student.
  const anonymous = createClient<paths>({ baseUrl: BASE_URL });
  const registered = await anonymous.POST("/api/v1/auth/register", {
    body: { email, password: PASSWORD, name: "TS Journey", timezone: "UTC" },
  });
  ok("register", registered.response.status, 201, registered.error);
  const session = registered.data!;
  assert.ok(session.access_token.length > 20, "register: empty access_token");
  assert.equal(session.token_type.toLowerCase(), "bearer");
  assert.ok(session.expires_in > 0, "register: expires_in");
  assert.equal(session.user.email, email);
  assert.equal(session.user.tier, "free");
  assert.equal(session.user.role, "student");
  const userId = session.user.id;

  const client = createClient<paths>({
    baseUrl: BASE_URL,
    headers: { Authorization: `Bearer ${session.access_token}` },
  });

  // 2. The outline: every chapter in order, 1-3 open, 4+ locked for a free learner.
  const outline = await client.GET("/api/v1/chapters");
  ok("listChapters", outline.response.status, 200, outline.error);
  const chapters = outline.data!.items;
  assert.ok(chapters.length >= 4 && outline.data!.total === chapters.length, "listChapters: total");
  assert.deepEqual(chapters.map((c) => c.order), chapters.map((_, i) => i + 1), "listChapters: order");
  for (const c of chapters) {
    const locked = c.order > FREE_CHAPTERS;
    assert.equal(c.locked, locked, `listChapters: chapter ${c.order} locked=${c.locked}`);
    assert.equal(c.required_tier !== "free", locked, `listChapters: chapter ${c.order} needs ${c.required_tier}`);
  }
  const [first, second, , fourth] = chapters as [(typeof chapters)[number], (typeof chapters)[number], unknown, (typeof chapters)[number]];

  // 3. Chapter 1 by slug, verbatim, with its quiz and neighbours.
  const read = await client.GET("/api/v1/chapters/{chapter_ref}", {
    params: { path: { chapter_ref: first.slug } },
  });
  ok("getChapter(1)", read.response.status, 200, read.error);
  const chapter = read.data!;
  assert.equal(chapter.id, first.id);
  assert.equal(chapter.title, first.title);
  assert.equal(chapter.order, 1);
  assert.ok(chapter.content.length > 200, "getChapter: content is (almost) empty");
  assert.equal(createHash("sha256").update(chapter.content, "utf8").digest("hex"), chapter.content_sha256, "getChapter: content_sha256");
  assert.ok(read.response.headers.get("etag"), "getChapter: no ETag");
  assert.equal(chapter.previous_chapter_id ?? null, null, "getChapter: chapter 1 has a previous chapter");
  assert.equal(chapter.next_chapter_id, second.id, "getChapter: next is not chapter 2");
  assert.ok(chapter.quiz_id, "getChapter: chapter 1 has no quiz_id");

  // 4. Its quiz, found through listQuizzes; questions never carry answers.
  const listed = await client.GET("/api/v1/quizzes");
  ok("listQuizzes", listed.response.status, 200, listed.error);
  const quizzes = listed.data!;
  assert.ok(quizzes.total === quizzes.items.length && quizzes.total > 0, "listQuizzes: total");
  const mine = quizzes.items.filter((q) => q.chapter_id === first.id);
  assert.equal(mine.length, 1, "listQuizzes: one quiz for chapter 1");
  const summary = mine[0]!;
  assert.equal(summary.id, chapter.quiz_id, "listQuizzes: id differs from chapter quiz_id");
  assert.equal(summary.locked, false);
  assert.ok(quizzes.items.some((q) => q.chapter_id === fourth.id && q.locked), "listQuizzes: chapter 4 quiz not locked");

  const fetched = await client.GET("/api/v1/quizzes/{quiz_id}", { params: { path: { quiz_id: summary.id } } });
  ok("getQuiz", fetched.response.status, 200, fetched.error);
  const quiz = fetched.data!;
  assert.equal(quiz.id, summary.id);
  assert.equal(quiz.chapter_id, first.id);
  assert.equal(quiz.questions.length, summary.question_count);
  for (const question of quiz.questions) {
    for (const secret of ["answer", "correct_answer", "explanation"]) {
      assert.ok(!(secret in question), `getQuiz: question ${question.id} carries ${secret}`);
    }
    assert.ok(question.text.trim() !== "", `getQuiz: question ${question.id} has no text`);
  }

  // 5. Submit one answer per question, chosen by kind, with a unique submission id.
  const answers: SubmitBody["answers"] = {};
  for (const question of quiz.questions) answers[question.id] = answerFor(question);
  const body: SubmitBody = { answers, submission_id: `ts-journey-${randomUUID()}` };
  const submitted = await client.POST("/api/v1/quizzes/{quiz_id}/submit", {
    params: { path: { quiz_id: quiz.id } },
    body,
  });
  ok("submitQuiz", submitted.response.status, 201, submitted.error);
  const graded = submitted.data!;
  const total = quiz.questions.length;
  assert.equal(graded.total, total);
  assert.equal(graded.results.length, total);
  assert.equal(graded.attempt_number, 1);
  const correct = graded.results.filter((r) => r.is_correct).length;
  assert.equal(graded.correct_count, correct);
  assert.equal(graded.score, Math.floor((100 * correct) / total));
  assert.equal(graded.passed, graded.score >= quiz.pass_mark);
  for (const result of graded.results) {
    const sent = answers[result.question_id];
    assert.ok(sent !== undefined, `submitQuiz: result for unknown question ${result.question_id}`);
    assert.deepEqual(asKeys(result.selected), asKeys(sent), `submitQuiz: question ${result.question_id} graded differently`);
  }
  // The same submission id again: the first result, not a second attempt.
  const retried = await client.POST("/api/v1/quizzes/{quiz_id}/submit", {
    params: { path: { quiz_id: quiz.id } },
    body,
  });
  ok("submitQuiz (retry, same submission_id)", retried.response.status, 200, retried.error);
  assert.equal(retried.data!.attempt_id, graded.attempt_id, "submitQuiz retry: a new attempt");

  // 6. Results: exactly that one attempt.
  const history = await client.GET("/api/v1/quizzes/{quiz_id}/results", {
    params: { path: { quiz_id: quiz.id }, query: { limit: 10 } },
  });
  ok("getQuizResults", history.response.status, 200, history.error);
  const results = history.data!;
  assert.equal(results.attempt_count, 1);
  assert.equal(results.total, 1);
  assert.equal(results.items[0]?.attempt_id, graded.attempt_id);
  assert.equal(results.best_score, graded.score);
  assert.equal(results.last_score, graded.score);
  assert.equal(results.passed_ever, graded.passed);

  // 7. Chapter 1 complete: the pointer moves on to chapter 2.
  const updated = await client.PUT("/api/v1/progress/{user}", {
    params: { path: { user: "me" } },
    body: { chapter_id: first.slug },
  });
  ok("updateProgress", updated.response.status, 200, updated.error);
  const expectedPercentage = Math.round((1000 / chapters.length)) / 10;
  let progress = updated.data!;
  assert.equal(progress.user_id, userId);
  assert.equal(progress.completed_count, 1);
  assert.deepEqual(progress.completed_chapters.map((c) => c.chapter_id), [first.id]);
  assert.equal(progress.total_chapters, chapters.length);
  assert.equal(progress.percentage, expectedPercentage);
  assert.equal(progress.current_chapter?.id, second.id, "updateProgress: current chapter is not 2");

  // 8. Daily check-in: already counted today (completing and submitting check in too).
  const checkedIn = await client.POST("/api/v1/streaks/{user}/checkin", { params: { path: { user: "me" } } });
  ok("recordCheckin", checkedIn.response.status, 200, checkedIn.error);
  const checkin = checkedIn.data!;
  assert.equal(checkin.current_streak, 1);
  assert.equal(checkin.longest_streak, 1);
  assert.equal(checkin.checked_in_today, true);
  assert.equal(checkin.incremented, false, "recordCheckin: incremented although the quiz checked in");
  assert.equal(checkin.last_checkin, today);
  assert.equal(checkin.timezone, "UTC");

  // 9. Progress and streak reflect the completion and the check-in.
  const read2 = await client.GET("/api/v1/progress/{user}", { params: { path: { user: "me" } } });
  ok("getProgress", read2.response.status, 200, read2.error);
  progress = read2.data!;
  assert.equal(progress.completed_count, 1);
  assert.equal(progress.completed_chapters[0]?.slug, first.slug);
  assert.equal(progress.percentage, expectedPercentage);
  assert.ok(progress.last_activity, "getProgress: no last_activity");
  assert.equal(progress.streak.current, 1);
  assert.equal(progress.streak.checked_in_today, true);

  const streakRead = await client.GET("/api/v1/streaks/{user}", { params: { path: { user: "me" } } });
  ok("getStreak", streakRead.response.status, 200, streakRead.error);
  const streak = streakRead.data!;
  assert.equal(streak.current_streak, 1);
  assert.equal(streak.longest_streak, 1);
  assert.equal(streak.checked_in_today, true);
  assert.equal(streak.last_checkin, today);

  // 10. A locked chapter: 403 upgrade_required, with the tier and where to upgrade.
  const locked = await client.GET("/api/v1/chapters/{chapter_ref}", {
    params: { path: { chapter_ref: fourth.slug } },
  });
  ok("getChapter(4) locked", locked.response.status, 403, locked.error ?? locked.data);
  assert.equal(locked.data, undefined);
  const refusal = locked.error!;
  assert.equal(refusal.error, "upgrade_required");
  assert.ok(refusal.message, "getChapter(4): no message");
  assert.equal(refusal.details?.["required_tier"], fourth.required_tier);
  assert.match(String(refusal.details?.["upgrade_url"] ?? ""), /^https?:\/\//);

  // 11. A review session: the questions the quiz got wrong are due now; "what next?" says so.
  const missed = new Map(graded.results.filter((r) => !r.is_correct).map((r) => [r.question_id, r.correct_answer]));
  assert.ok(missed.size > 0, "submitQuiz: the kind rule got every answer right; the review session needs one wrong");
  const before = await client.GET("/api/v1/next");
  ok("getNextStep", before.response.status, 200, before.error);
  assert.equal(before.data!.action, "review");
  assert.equal(before.data!.reason, "cards_due");
  assert.equal(before.data!.numbers.due_now, missed.size);
  const queued = await client.GET("/api/v1/review", { params: { query: { limit: 50 } } });
  ok("getReviewQueue", queued.response.status, 200, queued.error);
  const due = queued.data!.items.filter((card) => card.state !== "new");
  assert.equal(queued.data!.due_now, missed.size);
  assert.deepEqual(due.map((card) => card.question.id).sort(), [...missed.keys()].sort(), "getReviewQueue: due cards are not the missed questions");
  for (const card of due) {
    assert.equal(card.quiz_id, quiz.id);
    assert.equal(card.chapter.id, first.id);
    for (const secret of ["answer", "correct_answer", "explanation"]) {
      assert.ok(!(secret in card.question), `getReviewQueue: card ${card.question.id} carries ${secret}`);
    }
    const correctAnswer = missed.get(card.question.id);
    assert.ok(correctAnswer !== undefined && correctAnswer !== null, "submitQuiz: no correct_answer shown");
    const review = { answer: correctAnswer, review_id: `ts-${card.question.id}` };
    const reviewed = await client.POST("/api/v1/review/{question_id}", {
      params: { path: { question_id: card.question.id } },
      body: review,
    });
    ok(`answerReview(${card.question.id.slice(0, 8)})`, reviewed.response.status, 201, reviewed.error);
    assert.equal(reviewed.data!.is_correct, true);
    assert.equal(reviewed.data!.rating, "good");
    assert.ok(reviewed.data!.next_due_at.slice(0, 10) > today, `answerReview: next due ${reviewed.data!.next_due_at}, not a later day`);
    const replayed = await client.POST("/api/v1/review/{question_id}", {
      params: { path: { question_id: card.question.id } },
      body: review,
    });
    ok("answerReview (retry, same review_id)", replayed.response.status, 200, replayed.error);
    assert.equal(replayed.data!.next_due_at, reviewed.data!.next_due_at, "answerReview retry: reviewed twice");
  }
  const after = await client.GET("/api/v1/review");
  ok("getReviewQueue (after)", after.response.status, 200, after.error);
  assert.equal(after.data!.due_now, 0);
  const next = await client.GET("/api/v1/next");
  ok("getNextStep (after)", next.response.status, 200, next.error);
  assert.equal(next.data!.action, graded.passed ? "continue_chapter" : "retake_quiz");

  console.log(`PASS: TypeScript journey (${email}, quiz score ${graded.score}, ${missed.size} cards reviewed)`);
}

main().catch((error: unknown) => {
  console.error(`FAIL: TypeScript journey: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
