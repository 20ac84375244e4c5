/**
 * The transcoder's media layer: probing chunks, encoding chunk and placeholder segments on the session
 * timeline with frames and thumbnails, storyboards and the stitched video. Everything ffmpeg does for
 * the service goes through here; jobs call these and never build ffmpeg arguments themselves.
 */
export {
  DEFAULT_FPS,
  DEFAULT_FRAMES_FPS,
  FRAME_MAX_WIDTH,
  type Slot,
  type SlotTiming,
  slotTiming,
  THUMBNAIL_WIDTH,
  TIMELINE_BASE_OFFSET_SEC,
} from './args.ts';
export {
  type EncodeChunkOptions,
  type EncodeChunkResult,
  type EncodePlaceholderOptions,
  encodeChunk,
  encodePlaceholder,
  type RenditionSizes,
  type SegmentsResult,
  UndecodableChunkError,
} from './encode.ts';
export { FfmpegError, isInputFailure } from './ffmpeg-error.ts';
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
export { blackImage, encodeSlideshow, imageInputOptions, normalizeImage } from './slideshow.ts';
export { stitch } from './stitch.ts';
export { buildStoryboard, type StoryboardLayout, storyboardLayout, storyboardVtt } from './storyboard.ts';
