// Debian's liblz4 (package liblz4-dev): the LZ4 block format used for log batches.
#include <lz4.h>
