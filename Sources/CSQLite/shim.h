// Debian's libsqlite3 (package libsqlite3-dev): the projections' storage engine.
#include <sqlite3.h>
