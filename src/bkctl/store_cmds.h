/*
 * bkctl on a real store (README, "bkctl on a store"):
 *
 *   bkctl [--db URI] [--schema NAME] [--json] COMMAND [ID] [--option VALUE ...]
 *
 * one subcommand per library call: migrate, provider-*, service-*, rule-*,
 * override-*, blocked-*, slots, book, booking-*, cancel, confirm, complete,
 * no-show, reschedule.  The URI may come from $BKCTL_DB, the schema from
 * $BKCTL_SCHEMA.  Only `migrate` runs DDL; every other command opens the
 * store with migrate = 0.
 *
 * Exit status: 0 ok; 3 a conflict (BK_ECONFLICT, BK_EEXISTS); 2 bad input
 * (usage, a malformed value, BK_EINVAL); 1 any other error.
 */
#ifndef BKCTL_STORE_CMDS_H
#define BKCTL_STORE_CMDS_H

#include <stdio.h>

enum { STORE_EXIT_OK = 0, STORE_EXIT_ERROR = 1, STORE_EXIT_BAD_INPUT = 2, STORE_EXIT_CONFLICT = 3 };

/* 1 when `arg` (bkctl's first argument) starts a store invocation: a
 * global store option (--db, --schema, --json) or a store command name. */
int store_handles(const char *arg);

/* Runs a store invocation; argv[0] is the program, argv[1] what
 * store_handles accepted.  Returns the exit status. */
int store_main(int argc, char **argv);

/* The store commands' part of `bkctl --help`. */
void store_usage(FILE *to);

#endif
