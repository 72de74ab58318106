#include "flash_storage.h"

#include <cstring>

#include "crc32.h"
#include "nrf_flash.h"

namespace wandlab {
namespace xiao {
namespace {

constexpr uint32_t kRecordMagic = 0x43524C57;  // "WLRC"

uint32_t slot_start(uint8_t slot) { return kSlotsStart + static_cast<uint32_t>(slot) * kSlotBytes; }

}  // namespace

bool NrfSlotFlash::erase(uint8_t slot, size_t offset) {
  if (slot >= slots::kSlotCount || offset % kFlashPage != 0 || offset >= kSlotBytes) return false;
  return nrf_flash::erase_page(slot_start(slot) + static_cast<uint32_t>(offset));
}

bool NrfSlotFlash::write(uint8_t slot, size_t offset, const uint8_t* data, size_t size) {
  if (slot >= slots::kSlotCount || offset > kSlotBytes || size > kSlotBytes - offset) return false;
  return nrf_flash::program(slot_start(slot) + static_cast<uint32_t>(offset), data, size);
}

const uint8_t* NrfSlotFlash::data(uint8_t slot) const {
  return reinterpret_cast<const uint8_t*>(slot_start(slot < slots::kSlotCount ? slot : 0));
}

bool NrfSlotFlash::erase_record_page(uint8_t page) {
  if (page >= slots::kRecordPages) return false;
  return nrf_flash::erase_page(kSlotRecordStart + page * kFlashPage);
}

bool NrfSlotFlash::write_record_page(uint8_t page, size_t offset, const uint8_t* data, size_t size) {
  if (page >= slots::kRecordPages || offset > kFlashPage || size > kFlashPage - offset) return false;
  return nrf_flash::program(kSlotRecordStart + page * kFlashPage + static_cast<uint32_t>(offset), data, size);
}

const uint8_t* NrfSlotFlash::record_page(uint8_t page) const {
  return reinterpret_cast<const uint8_t*>(kSlotRecordStart + (page < slots::kRecordPages ? page : 0) * kFlashPage);
}

bool FlashRecord::valid(int copy, Header* header) const {
  const uint8_t* at = reinterpret_cast<const uint8_t*>(copy_address(copy));
  memcpy(header, at, sizeof(*header));
  return header->magic == kRecordMagic && header->size <= capacity() &&
         header->crc == protocol::crc32(at + kHeaderBytes, header->size);
}

int FlashRecord::newest(Header* header) const {
  Header h[2];
  const bool ok0 = valid(0, &h[0]);
  const bool ok1 = valid(1, &h[1]);
  if (!ok0 && !ok1) return -1;
  // Sequences only grow (wrapping after 4 billion saves): the newer is the one the other is behind.
  const int copy = !ok1 ? 0 : !ok0 ? 1 : static_cast<int32_t>(h[1].sequence - h[0].sequence) > 0 ? 1 : 0;
  *header = h[copy];
  return copy;
}

bool FlashRecord::load(uint8_t* data, size_t* size) {
  Header header;
  const int copy = newest(&header);
  if (copy < 0 || header.size > *size) return false;
  memcpy(data, reinterpret_cast<const uint8_t*>(copy_address(copy)) + kHeaderBytes, header.size);
  *size = header.size;
  return true;
}

bool FlashRecord::save(const uint8_t* data, size_t size) {
  if (size > capacity()) return false;
  Header latest;
  const int current = newest(&latest);
  const int target = current == 0 ? 1 : 0;
  const uint32_t address = copy_address(target);
  for (uint32_t page = 0; page < pages_; ++page) {
    if (!nrf_flash::erase_page(address + page * kFlashPage)) return false;
  }
  const Header header = {kRecordMagic, current < 0 ? 1u : latest.sequence + 1u, static_cast<uint32_t>(size),
                         protocol::crc32(data, size)};
  return nrf_flash::program(address + kHeaderBytes, data, size) &&
         nrf_flash::program(address, reinterpret_cast<const uint8_t*>(&header), sizeof(header));
}

}  // namespace xiao
}  // namespace wandlab
