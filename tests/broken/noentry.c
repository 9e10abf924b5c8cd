/* A shared object that is not an optselect plugin: no entry point. */
int some_other_symbol(void);
int some_other_symbol(void) { return 42; }
