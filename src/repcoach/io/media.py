"""Media file kinds by suffix: the one list of video (and audio) suffixes every reader accepts."""

VIDEO_EXTENSIONS = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".3gp")
AUDIO_EXTENSIONS = (".wav", ".wave")

__all__ = ["AUDIO_EXTENSIONS", "VIDEO_EXTENSIONS"]
