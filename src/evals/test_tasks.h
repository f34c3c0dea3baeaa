// A task for runner and log tests: `n` questions answered by "Paris" (every even one is about the
// capital of France, so a backend that says "Paris" gets half right), one cluster per sample.
#pragma once

#include <string>

#include "warden/evals/scorer.h"
#include "warden/evals/task.h"

namespace warden::evals::test {

inline Task QuestionTask(size_t n, const std::string& name = "test/questions") {
  Task t;
  t.name = name;
  t.dataset.path = "memory";
  t.dataset.sha256 = std::string(64, 'a');
  for (size_t i = 0; i < n; ++i) {
    Sample s;
    s.id = "q" + std::to_string(i);
    s.input = i % 2 == 0 ? "What is the capital of France?" : "Tell me about item " + std::to_string(i);
    s.target = "Paris";
    s.category = i % 2 == 0 ? "capital" : "other";
    s.cluster = s.id;
    t.dataset.samples.push_back(s);
  }
  t.scorer = MakeMatchScorer();
  return t;
}

}  // namespace warden::evals::test
