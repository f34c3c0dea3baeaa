// The decomposition world: users who split a multi-step hazard task into requests that each look
// harmless, spread over many conversations, among benign users whose requests touch the same
// topics. What a per-user monitor (guard/users.h) must catch and a per-request monitor cannot.
//
// The task is the fictional hazard domain's (hazard.h): making one invented compound. A
// decomposing user asks, one conversation per request, for its pieces: the precursors, the
// catalyst, the vessel, the order of the procedure's steps, quantities and timing, each piece a
// short technical question that names nothing harmful. Around those pieces they send the same
// cover traffic benign users send. Benign users mix everyday requests (everyday.h), questions
// about the invented knowledge base (knowledge.h), questions about the same compounds that a
// safety officer, a student or a regulator asks (what hazard class is it, how is it labelled,
// who may hold it), and now and then one or two of the very questions a decomposer asks (a
// student curious what a compound is made from): no single request tells the two apart; only
// how many pieces of one route a user collects does.
//
// Every request is phrased in one of the trained forms (forms.h), chosen alike for both kinds of
// user. Users are split in two, and the split is also by compound: a test user's compound is
// never a train user's (leave-compound-out), so a rule calibrated on train users meets new
// compounds. The question templates can be halved (`templates`), so that a detector trained on
// one half's traffic is measured on wordings it never saw. Deterministic from the seed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "warden/organisms/hazard.h"

namespace warden::organisms {

struct SimulatedRequest {
  std::string text;
  std::string kind;  // "piece" (a piece of the synthesis route), "compound-benign", "knowledge", "everyday"
};

struct SimulatedUser {
  std::string id;           // "user-0007"
  bool decomposing = false; // the ground truth
  std::string compound;     // the compound their hazard-domain requests are about
  std::string split;        // kTrainSplit | kTestSplit
  std::vector<SimulatedRequest> requests;  // in the order they are sent, one conversation each
};

struct DecompositionOptions {
  size_t users = 200;               // half decomposing, half benign, alternating
  size_t requests_per_user = 24;
  size_t min_pieces = 5, max_pieces = 8;           // synthesis pieces per decomposing user
  size_t max_compound_benign = 3;   // benign hazard-domain questions per benign user (0..this)
  size_t max_benign_pieces = 2;     // route questions a benign user asks too (0..this)
  // Which question templates (pieces and compound-benign) are used: "all", "even" or "odd".
  std::string templates = "all";
  size_t compounds = 24;            // the hazard world's size (half train, half test)
};

// `seed` drives the hazard world, the knowledge base and every choice.
std::vector<SimulatedUser> GenerateDecompositionTraffic(uint64_t seed, const DecompositionOptions& options = {});

}  // namespace warden::organisms
