/**
 * The transcoder's media layer: probing chunks, encoding chunk and placeholder segments on the session
 * timeline with frames and thumbnails, storyboards and the stitched video. Everything ffmpeg does for
 * the service goes through here; jobs call these and never build ffmpeg arguments themselves.
 */
export {
  DEFAULT_FRAMES_FPS,
  type EncodeChunkOptions,
  type EncodeChunkResult,
  encodeChunk,
  FRAME_MAX_WIDTH,
  THUMBNAIL_WIDTH,
  UndecodableChunkError,
} from './chunk.ts';
export { FfmpegError, isInputFailure } from './ffmpeg-error.ts';
export { type EncodePlaceholderOptions, encodePlaceholder } from './placeholder.ts';
export {
  type ChunkProbe,
  lateStream,
  MAX_PICTURE,
  PROBE_TIMEOUT_MS,
  probeChunk,
  undecodableProbe,
} from './probe.ts';
export {
  AUDIO,
  RENDITION_LADDER,
  type RenditionSpec,
  type Resolution,
  renditionSize,
  renditionsFor,
} from './renditions.ts';
export { createMediaRunner, type MediaRunner, runTimeoutMs } from './runner.ts';
export type { RenditionSizes, SegmentsResult } from './segments.ts';
export { blackImage, encodeSlideshow, imageInputOptions, normalizeImage } from './slideshow.ts';
export { stitch } from './stitch.ts';
export { buildStoryboard, type StoryboardLayout, storyboardLayout, storyboardVtt } from './storyboard.ts';
export {
  DEFAULT_FPS,
  type Slot,
  type SlotTiming,
  slotTiming,
  TIMELINE_BASE_OFFSET_SEC,
} from './timing.ts';
