/* Executes EBREAK. Expected: trap (our VM: exited = 2, cause 5; `vm run` exits 134).
 * Under qemu-riscv32 the process dies with SIGTRAP (shell status 133). */
#include "opml.h"
int main(void)
{
    opml_ebreak();
}
