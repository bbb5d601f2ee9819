/*===- Transport.h - tensors between device processes ------------*- C -*-===//
 *
 * A multi-device bundle runs one process per device; generated programs move
 * tensors between them with these calls (cleave.send / cleave.recv). The
 * implementation is MPI (libCleaveRuntimeMpi): a device is an MPI rank of
 * MPI_COMM_WORLD. Sends do not block; each run waits for its sends at the
 * end, so a sent tensor's buffer must stay unchanged until then (the memory
 * plan keeps it alive). Single-device programs never link this.
 *
 *===----------------------------------------------------------------------===*/

#ifndef CLEAVE_RUNTIME_TRANSPORT_H
#define CLEAVE_RUNTIME_TRANSPORT_H

#include "cleave/Runtime/Status.h"
#include "cleave/Runtime/Tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Starts sending `t` to device `peer` with `tag`. */
cleave_status cleave_transport_send(const cleave_tensor *t, int32_t peer,
                                    int32_t tag);

/* Receives into `t` what device `peer` sends with `tag`; fails if the
 * sizes differ. */
cleave_status cleave_transport_recv(cleave_tensor *t, int32_t peer,
                                    int32_t tag);

/* Posts the receive into `t` of what device `peer` sends with `tag`, and
 * returns at once; `t` must stay untouched until
 * cleave_transport_recv_wait with the same peer and tag has returned, which
 * waits for it and fails if the sizes differ. */
cleave_status cleave_transport_recv_start(cleave_tensor *t, int32_t peer,
                                          int32_t tag);
cleave_status cleave_transport_recv_wait(cleave_tensor *t, int32_t peer,
                                         int32_t tag);

/* Waits until the send to `peer` with `tag` has completed: its tensor may
 * be reused. */
cleave_status cleave_transport_send_done(int32_t peer, int32_t tag);

/* Waits until every send started since the last call has completed. */
cleave_status cleave_transport_wait_sends(void);

/* Starts summing the f32 tensor `t` in place over the data-parallel
 * replicas of this device (cleave.all_reduce); `t` must stay untouched
 * until cleave_transport_all_reduce_wait returns. (Over MPI the sum is done
 * when this returns; NCCL's runs on its stream.) */
cleave_status cleave_transport_all_reduce_start(cleave_tensor *t);

/* Waits until every all-reduce started since the last call has finished. */
cleave_status cleave_transport_all_reduce_wait(void);

/* The collectives over the replicas of this device (cleave.all_gather,
 * cleave.reduce_scatter, cleave.broadcast); each returns when its result
 * is complete, and every replica must call the same ones in the same
 * order.
 * All-gather: `output` holds every replica's `input` (any dtype), replica
 * r's at r times its size. */
cleave_status cleave_transport_all_gather(const cleave_tensor *input,
                                          cleave_tensor *output);
/* Reduce-scatter: the f32 `input`s summed; this replica's `output` is
 * slice r of as many equal slices as there are replicas. */
cleave_status cleave_transport_reduce_scatter(const cleave_tensor *input,
                                              cleave_tensor *output);
/* Broadcast: `t` on every replica becomes replica `root`'s. */
cleave_status cleave_transport_broadcast(cleave_tensor *t, int32_t root);

/* This process's data-parallel replica (0 without replicas): the transport
 * sets it when it joins the job; the device main reads its share of each
 * batch by it. */
void cleave_runtime_set_replica(int32_t replica);
int32_t cleave_runtime_replica(void);

/* Seconds this process has spent waiting for other devices (receives and
 * send completions): a run's time minus this is its busy time. The clock
 * lives in the core runtime; the transport records each wait in it (from
 * start_ns to end_ns on the steady clock; --trace shows them). */
void cleave_runtime_record_wait(int64_t start_ns, int64_t end_ns);
double cleave_runtime_wait_seconds(void);

/* Set by the transport when it joins the job: measures, with every process
 * of the job calling it at once, the nanoseconds to add to this process's
 * steady clock to read device 0's, and how far off that may be (for
 * --trace). NULL alone. */
extern int64_t (*cleave_runtime_clock_offset)(int64_t *uncertainty_ns);

/* Set by the transport when it joins a job with replicas: its all-gather
 * over the replicas of this device (cleave_transport_all_gather), which
 * the device main needs for inference replicas' outputs without linking
 * the transport into one-device programs. NULL alone. */
extern cleave_status (*cleave_runtime_replica_all_gather)(
    const cleave_tensor *input, cleave_tensor *output);

#ifdef __cplusplus
}

struct cleave_program;

/* The main of device `device` of a multi-device bundle: joins the MPI job,
 * checks that its rank is `device`, runs cleave_device_main, and on failure
 * aborts the whole job (so no peer waits forever) with its exit code. */
int cleave_transport_device_main(int argc, char **argv,
                                 const cleave_program &program,
                                 int32_t device);

/* The two halves of that main, for the CUDA transports: joins the MPI job
 * as `device` (MPI errors come back as codes) and returns the number of
 * devices, or stops the job if the rank is not `device`; and stops every
 * device after this one failed with exit code `rc`. */
int cleave_transport_join(int *argc, char ***argv,
                          const cleave_program &program, int32_t device);
[[noreturn]] void cleave_transport_abort(const cleave_program &program,
                                         int32_t device, int rc);
#endif

#endif /* CLEAVE_RUNTIME_TRANSPORT_H */
