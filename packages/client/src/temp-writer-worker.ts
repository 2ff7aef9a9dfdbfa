// The temp-file worker thread (started by temp-writer.ts): writes each batch it is sent, in
// order, and answers one result per file. It decides nothing; it only does the syscalls, and
// checks each content against its checksum before writing it.
import { parentPort } from 'node:worker_threads';
import { writeBatch, type TempBatchAnswer, type TempBatchRequest } from './temp-batch.js';

parentPort?.on('message', (request: TempBatchRequest) => {
  const answer: TempBatchAnswer = { id: request.id, results: writeBatch(request), data: request.data };
  parentPort!.postMessage(answer, [answer.data]);
});
