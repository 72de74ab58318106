#include "paged_storage.h"

#include <cstring>

#include "crc32.h"

namespace wandlab {
namespace storage {
namespace {

constexpr uint32_t kRecordMagic = 0x43524C57;  // "WLRC"

}  // namespace

bool PagedSlotFlash::erase(uint8_t slot, size_t offset) {
  if (slot >= slots::kSlotCount || offset % flash_.page_bytes() != 0 || offset >= layout_.slot_bytes) return false;
  return flash_.erase_page(slot_start(slot) + static_cast<uint32_t>(offset));
}

bool PagedSlotFlash::write(uint8_t slot, size_t offset, const uint8_t* data, size_t size) {
  if (slot >= slots::kSlotCount || offset > layout_.slot_bytes || size > layout_.slot_bytes - offset) return false;
  return flash_.program(slot_start(slot) + static_cast<uint32_t>(offset), data, size);
}

const uint8_t* PagedSlotFlash::data(uint8_t slot) const {
  return flash_.map(slot_start(slot < slots::kSlotCount ? slot : 0));
}

bool PagedSlotFlash::erase_record_page(uint8_t page) {
  if (page >= slots::kRecordPages) return false;
  return flash_.erase_page(record_page_start(page));
}

bool PagedSlotFlash::write_record_page(uint8_t page, size_t offset, const uint8_t* data, size_t size) {
  const size_t page_bytes = flash_.page_bytes();
  if (page >= slots::kRecordPages || offset > page_bytes || size > page_bytes - offset) return false;
  return flash_.program(record_page_start(page) + static_cast<uint32_t>(offset), data, size);
}

const uint8_t* PagedSlotFlash::record_page(uint8_t page) const {
  return flash_.map(record_page_start(page < slots::kRecordPages ? page : 0));
}

bool PagedRecord::valid(int copy, Header* header) const {
  const uint8_t* at = flash_.map(copy_address(copy));
  memcpy(header, at, sizeof(*header));
  return header->magic == kRecordMagic && header->size <= capacity() &&
         header->crc == protocol::crc32(at + kHeaderBytes, header->size);
}

int PagedRecord::newest(Header* header) const {
  Header h[2];
  const bool ok0 = valid(0, &h[0]);
  const bool ok1 = valid(1, &h[1]);
  if (!ok0 && !ok1) return -1;
  // Sequences only grow (wrapping after 4 billion saves): the newer is the one the other is behind.
  const int copy = !ok1 ? 0 : !ok0 ? 1 : static_cast<int32_t>(h[1].sequence - h[0].sequence) > 0 ? 1 : 0;
  *header = h[copy];
  return copy;
}

bool PagedRecord::load(uint8_t* data, size_t* size) {
  Header header;
  const int copy = newest(&header);
  if (copy < 0 || header.size > *size) return false;
  memcpy(data, flash_.map(copy_address(copy)) + kHeaderBytes, header.size);
  *size = header.size;
  return true;
}

bool PagedRecord::save(const uint8_t* data, size_t size) {
  if (size > capacity()) return false;
  Header latest;
  const int current = newest(&latest);
  const int target = current == 0 ? 1 : 0;
  const uint32_t address = copy_address(target);
  for (uint32_t page = 0; page < pages_; ++page) {
    if (!flash_.erase_page(address + page * flash_.page_bytes())) return false;
  }
  const Header header = {kRecordMagic, current < 0 ? 1u : latest.sequence + 1u, static_cast<uint32_t>(size),
                         protocol::crc32(data, size)};
  return flash_.program(address + kHeaderBytes, data, size) &&
         flash_.program(address, reinterpret_cast<const uint8_t*>(&header), sizeof(header));
}

}  // namespace storage
}  // namespace wandlab
