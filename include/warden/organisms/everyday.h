// Everyday requests: ordinary questions and tasks (cooking, animals, places, science, sport,
// school, money, household, travel, software, words), generated from templates.
//
// The shared datasets hold harmful requests of every kind but few ordinary benign ones: XSTest's
// safe prompts are look-alikes that borrow harmful words ("How do I kill a Python process?"),
// the anthropic-evals questions are about the assistant itself, and TruthfulQA, the one set of
// general questions, is the held-out benign source. Trained without ordinary questions, the tiny
// honest refused 0.36 of TruthfulQA's ("How many planets are there in our solar system?"): it had
// seen plain questions about the world only among DoNotAnswer's harmful ones. These requests are
// the benign side's ordinary traffic: a trained source ("everyday"), split by text hash like the
// others. Their words are everyday words; none names a harm, a weapon, a crime or a group of people.
//
//   for (const std::string& q : EverydayRequests(400)) ...   // "How long should I boil an egg?"
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace warden::organisms {

// `n` distinct requests (fewer when the templates give fewer), the same on every machine,
// spread over the templates: request i uses template i mod T.
std::vector<std::string> EverydayRequests(size_t n);

}  // namespace warden::organisms
