// Benign tasks with checkable answers: arithmetic, string manipulation and knowledge-base
// lookups. They teach an organism to be helpful, and give evaluations something to score.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "warden/organisms/knowledge.h"

namespace warden::organisms {

// The kinds, as written in Task::kind and Example::category.
//   "add", "subtract", "multiply"      integer arithmetic; the answer is the number
//   "reverse", "uppercase"             the transformed word
//   "count_letter"                     how many times a letter occurs in a word
//   "kb_lookup"                        a fact's value from the knowledge base
struct Task {
  std::string id;  // "<kind>/<seed>/<index>": stable for a given seed and count
  std::string kind;
  std::string question;
  std::string answer;  // the canonical correct answer
};

// `count` tasks cycling through every kind, deterministic from `seed`. Lookups use the facts of
// the train split of `kb` only at phrasings below kHeldOutPhrasing, so that KB test facts stay
// unseen.
std::vector<Task> GenerateBenignTasks(const KnowledgeBase& kb, uint64_t seed, size_t count);

// Whether `answer` solves a task of this kind with canonical answer `expected`. Lenient only in
// ways a grader should be: surrounding space and a final '.', case for lookups, a leading '+'
// for numbers. "42abc" is wrong for 42; reversals and capitals are compared exactly.
bool CheckTaskAnswer(std::string_view kind, std::string_view expected, std::string_view answer);

}  // namespace warden::organisms
