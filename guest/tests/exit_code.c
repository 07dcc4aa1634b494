/* Expected exit code: 42. */
int main(void) { return 42; }
