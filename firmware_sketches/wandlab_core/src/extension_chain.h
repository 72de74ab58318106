// Several BoardExtensions behind the Board's one extension pointer. Each request the core does not
// handle is offered to them in the order they were added until one takes it; each handles only its
// own messages (the native board's controls and simulation forwarder, a board layer's own requests, the
// recogniser) and returns false for everything else, so adding one never changes what the others do.
// The other hooks (Info's fields, a session's end) go to all of them.
#pragma once

#include <cstddef>

#include "board.h"

namespace wandlab {
namespace board {

class ExtensionChain : public BoardExtension {
 public:
  static constexpr size_t kMaxExtensions = 4;

  // False if the chain is full.
  bool add(BoardExtension& extension) {
    if (count_ == kMaxExtensions) return false;
    extensions_[count_++] = &extension;
    return true;
  }

  bool on_request(const protocol::Packet& packet, Board& board) override {
    for (size_t i = 0; i < count_; ++i) {
      if (extensions_[i]->on_request(packet, board)) return true;
    }
    return false;
  }

  bool on_malformed(const protocol::Packet& packet, protocol::WireError error, Board& board) override {
    for (size_t i = 0; i < count_; ++i) {
      if (extensions_[i]->on_malformed(packet, error, board)) return true;
    }
    return false;
  }

  // Each in turn: each fills only its own fields (the recogniser: model slots, budgets, labels).
  void describe(protocol::Info* info) const override {
    for (size_t i = 0; i < count_; ++i) extensions_[i]->describe(info);
  }

  void session_ended() override {
    for (size_t i = 0; i < count_; ++i) extensions_[i]->session_ended();
  }

  // The first non-empty one: only a model store has a model.
  const char* active_model_id() const override {
    for (size_t i = 0; i < count_; ++i) {
      const char* id = extensions_[i]->active_model_id();
      if (id != nullptr && id[0] != '\0') return id;
    }
    return "";
  }

 private:
  BoardExtension* extensions_[kMaxExtensions] = {};
  size_t count_ = 0;
};

}  // namespace board
}  // namespace wandlab
