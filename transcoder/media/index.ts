/**
 * The transcoder's media layer: probing chunks, encoding chunk and placeholder segments on the session
 * timeline with frames and thumbnails, storyboards, the stitched video and the screenshots' slideshow.
 * Everything ffmpeg does for the service goes through here; jobs call these and never build ffmpeg
 * arguments themselves.
 */
export { type EncodeChunkResult, encodeChunk } from './chunk.ts';
export { FfmpegError, isInputFailure } from './ffmpeg-error.ts';
export { encodePlaceholder } from './placeholder.ts';
export { type ChunkProbe, lateStream, probeChunk, undecodableProbe } from './probe.ts';
export { RENDITION_LADDER, renditionSize, renditionsFor } from './renditions.ts';
export { createMediaRunner, runTimeoutMs } from './runner.ts';
export type { SegmentsResult } from './segments.ts';
export { blackImage, encodeSlideshow, normalizeImage } from './slideshow.ts';
export { stitch } from './stitch.ts';
export { buildStoryboard } from './storyboard.ts';
export { DEFAULT_FPS, TIMELINE_BASE_OFFSET_SEC } from './timing.ts';
