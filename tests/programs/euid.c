// SPDX-License-Identifier: Apache-2.0
// euid: exits 0 when its effective uid is 0, 1 otherwise. Installed setuid-root in the test
// rootfs, it shows whether no_new_privs stops a setuid binary from raising privileges.
#include <unistd.h>

int main(void) { return geteuid() == 0 ? 0 : 1; }
