/* An MPI ring and an allreduce: rank 0 sends a token around the ring, each
 * rank adds one; then every rank's rank is summed. Rank 0 prints the token,
 * the sum, and how long the ring took by MPI_Wtime; every rank prints the
 * host it ran on. Built with mpicc by the test that runs it. */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size, length;
  char host[MPI_MAX_PROCESSOR_NAME];
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Get_processor_name(host, &length);
  MPI_Barrier(MPI_COMM_WORLD);
  int token = 0;
  double start = MPI_Wtime();
  if (rank == 0) {
    token = 1;
    MPI_Send(&token, 1, MPI_INT, 1 % size, 0, MPI_COMM_WORLD);
    MPI_Recv(&token, 1, MPI_INT, size - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  } else {
    MPI_Recv(&token, 1, MPI_INT, rank - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    token++;
    MPI_Send(&token, 1, MPI_INT, (rank + 1) % size, 0, MPI_COMM_WORLD);
  }
  double ring = MPI_Wtime() - start;
  int sum = 0;
  MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("token %d, sum of ranks %d, ring %.1f us\n", token, sum, ring * 1e6);
  fflush(stdout);
  MPI_Barrier(MPI_COMM_WORLD);
  printf("rank %d on %s\n", rank, host);
  MPI_Finalize();
  return 0;
}
