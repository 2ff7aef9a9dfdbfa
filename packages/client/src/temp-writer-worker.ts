// The temp-file worker thread (started by temp-writer.ts): handles each request it is sent, in
// order — writes a batch (checking each content against its checksum first) or renames a durable
// group into place where nothing of R's is in the way — and answers one result per file. It
// decides nothing beyond that; the main thread handles everything it leaves.
import { parentPort } from 'node:worker_threads';
import { placeBatch, writeBatch, type PlaceAnswer, type PlaceRequest, type TempBatchAnswer, type TempBatchRequest } from './temp-batch.js';

parentPort?.on('message', (request: TempBatchRequest | PlaceRequest) => {
  if (request.kind === 'place') {
    const answer: PlaceAnswer = { id: request.id, placed: placeBatch(request.jobs) };
    parentPort!.postMessage(answer);
    return;
  }
  const answer: TempBatchAnswer = { id: request.id, results: writeBatch(request), data: request.data };
  parentPort!.postMessage(answer, [answer.data]);
});
