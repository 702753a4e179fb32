#ifndef SESSIONLOG_CPROCESSSPAWN_H
#define SESSIONLOG_CPROCESSSPAWN_H

#include <sys/types.h>

/// Starts the program at `path` (not searched in PATH) with `argv` and `envp` (both
/// NULL-terminated) through posix_spawn. In the child, descriptors 0, 1 and 2 are `stdin_fd`,
/// `stdout_fd` and `stderr_fd`, every other descriptor is closed, every signal has its default
/// action (so a signal the parent ignores, such as SIGPIPE, is not ignored in the child) and none
/// is blocked. Returns 0 and stores the child's pid in `pid`, otherwise an errno value (ENOENT:
/// no such program).
int slog_spawn(const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd, int stderr_fd, pid_t *pid);

/// pipe2(ends, O_CLOEXEC): a pipe whose both ends close on exec. Returns 0, or -1 with errno set.
int slog_pipe_cloexec(int ends[2]);

#endif
