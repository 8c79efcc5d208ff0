/* stub.c - placeholder until the kernels land. */
int kern_stub_present(void);
int kern_stub_present(void) { return 0; }
