/* operator new and delete for the WebAssembly build only: small blocks are
 * recycled through one free list per size instead of going back to malloc.
 *
 * SimGrid allocates and frees several small objects for every activity
 * (actions, LMM variables and elements, hash nodes, activity objects). Natively,
 * glibc's malloc serves those from its per-thread caches (tcache) in a few
 * instructions; emscripten's dlmalloc searches and splits its bins every time,
 * and malloc + free took about an eighth of the benchmark's time. This file
 * gives the WebAssembly build the same kind of cache.
 *
 * A block carries its size class in an 8-byte header (unsized operator delete
 * must find it; 8 bytes keep malloc's 8-byte alignment). Blocks of up to
 * 256 bytes are rounded up to a multiple of 8; once freed, a block waits on its
 * class's free list for the next allocation of that class and is never given
 * back to malloc, so memory stays at the peak number of live blocks per class.
 * Bigger blocks go straight to malloc and free. The instance runs one thread. */

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace {

constexpr size_t header      = 8;
constexpr size_t granule     = 8;
constexpr uint32_t classes   = 32; // blocks of up to classes * granule bytes
constexpr uint32_t malloc_ed = classes;

struct FreeBlock {
  FreeBlock* next;
};

FreeBlock* free_lists[classes];

void* with_header(size_t size, uint32_t size_class)
{
  void* raw = std::malloc(size + header);
  if (raw == nullptr)
    throw std::bad_alloc();
  *static_cast<uint32_t*>(raw) = size_class;
  return static_cast<char*>(raw) + header;
}

void* allocate(size_t size)
{
  uint32_t size_class = size == 0 ? 0 : static_cast<uint32_t>((size - 1) / granule);
  if (size_class >= classes)
    return with_header(size, malloc_ed);
  if (FreeBlock* block = free_lists[size_class]) {
    free_lists[size_class] = block->next;
    return block;
  }
  return with_header((size_class + 1) * granule, size_class);
}

void release(void* ptr)
{
  if (ptr == nullptr)
    return;
  char* raw           = static_cast<char*>(ptr) - header;
  uint32_t size_class = *reinterpret_cast<uint32_t*>(raw);
  if (size_class == malloc_ed) {
    std::free(raw);
    return;
  }
  auto* block            = static_cast<FreeBlock*>(ptr);
  block->next            = free_lists[size_class];
  free_lists[size_class] = block;
}

} // namespace

void* operator new(size_t size)
{
  return allocate(size);
}

void* operator new[](size_t size)
{
  return allocate(size);
}

void operator delete(void* ptr) noexcept
{
  release(ptr);
}

void operator delete[](void* ptr) noexcept
{
  release(ptr);
}

void operator delete(void* ptr, size_t) noexcept
{
  release(ptr);
}

void operator delete[](void* ptr, size_t) noexcept
{
  release(ptr);
}
