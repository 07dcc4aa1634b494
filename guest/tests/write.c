/* Uses the write ECALL (a7 = 64) then exits 7.
 * Our VM only sets a0 = a2; qemu prints the text. Checks the return value. */
#include "opml.h"
static const char msg[] = "hello from opml guest\n";
int main(void)
{
    int n = opml_write(1, msg, sizeof msg - 1);
    if (n != (int)(sizeof msg - 1))
        return 1;
    return 7;
}
