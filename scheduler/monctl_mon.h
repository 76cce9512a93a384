/*
 * monctl_mon.h — monctl's subcommands that speak mon's client protocol
 * (TCP) and send traps (UDP): status, failures, ack, unack, disable,
 * enable, test, reload, stop, start, state, trap.  Each takes argv from
 * its own name on and returns monctl's exit status (see monctl.c).
 */
#ifndef MOND_MONCTL_MON_H
#define MOND_MONCTL_MON_H

int monctl_cmd_status(int argc, char **argv);
int monctl_cmd_failures(int argc, char **argv);
int monctl_cmd_ack(int argc, char **argv);
int monctl_cmd_unack(int argc, char **argv);
int monctl_cmd_disable(int argc, char **argv);
int monctl_cmd_enable(int argc, char **argv);
int monctl_cmd_test(int argc, char **argv);
int monctl_cmd_reload(int argc, char **argv);
int monctl_cmd_stop(int argc, char **argv);
int monctl_cmd_start(int argc, char **argv);
int monctl_cmd_state(int argc, char **argv);
int monctl_cmd_trap(int argc, char **argv);

#endif
