/// Status results kept between calls (filled in by the incremental status work).
final class StatusCache {}
