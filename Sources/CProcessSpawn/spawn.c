// posix_spawn with the file actions and attributes of `slog_spawn` (CProcessSpawn.h). In C
// because glibc declares posix_spawn_file_actions_addclosefrom_np and pipe2 only under _GNU_SOURCE.
#define _GNU_SOURCE
#include "CProcessSpawn.h"
#include <signal.h>
#include <fcntl.h>
#include <spawn.h>
#include <unistd.h>

int slog_pipe_cloexec(int ends[2]) { return pipe2(ends, O_CLOEXEC); }

int slog_spawn(const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd, int stderr_fd, pid_t *pid) {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  int error = posix_spawn_file_actions_init(&actions);
  if (error != 0) { return error; }
  error = posix_spawnattr_init(&attributes);
  if (error != 0) {
    posix_spawn_file_actions_destroy(&actions);
    return error;
  }
  // dup2 onto a descriptor the source already is clears its close-on-exec flag (glibc ≥ 2.29).
  if (!error) { error = posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0); }
  if (!error) { error = posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1); }
  if (!error) { error = posix_spawn_file_actions_adddup2(&actions, stderr_fd, 2); }
  // Descriptors the parent opened without O_CLOEXEC (a library's, a log file's) stay out of the child.
  if (!error) { error = posix_spawn_file_actions_addclosefrom_np(&actions, 3); }
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  if (!error) { error = posix_spawnattr_setsigmask(&attributes, &none); }
  if (!error) { error = posix_spawnattr_setsigdefault(&attributes, &all); }
  if (!error) { error = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF); }
  if (!error) { error = posix_spawn(pid, path, &actions, &attributes, argv, envp); }
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  return error;
}
