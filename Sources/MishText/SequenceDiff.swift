// Myers' O(ND) difference algorithm in linear space, shared by line diffs and character diffs.

/// Which elements of two sequences a shortest (or, past a cost limit, a short) edit script deletes and inserts.
///
/// The algorithm is Myers' middle-snake divide and conquer, so memory stays linear. Once a subproblem's edit cost
/// passes roughly the square root of its size, the search stops and splits at the furthest-reaching point found
/// (GNU diff's "too expensive" heuristic): the script stays correct, possibly not minimal, and the time stays bounded
/// on inputs that share almost nothing.
struct SequenceDiff {
  /// `deleted[i]` is true when `a[i]` is not part of the common subsequence.
  var deleted: [Bool]
  /// `inserted[j]` is true when `b[j]` is not part of the common subsequence.
  var inserted: [Bool]

  init(_ a: [Int], _ b: [Int]) {
    deleted = [Bool](repeating: false, count: a.count)
    inserted = [Bool](repeating: false, count: b.count)
    guard !a.isEmpty, !b.isEmpty else {
      for index in deleted.indices { deleted[index] = true }
      for index in inserted.indices { inserted[index] = true }
      return
    }
    let diagonals = a.count + b.count + 3
    var forward = [Int](repeating: 0, count: diagonals)
    var backward = [Int](repeating: 0, count: diagonals)
    var tooExpensive = 1
    var remaining = diagonals
    while remaining != 0 {
      remaining >>= 2
      tooExpensive <<= 1
    }
    tooExpensive = max(256, tooExpensive)
    let offset = b.count + 1
    a.withUnsafeBufferPointer { xs in
      b.withUnsafeBufferPointer { ys in
        forward.withUnsafeMutableBufferPointer { fd in
          backward.withUnsafeMutableBufferPointer { bd in
            deleted.withUnsafeMutableBufferPointer { del in
              inserted.withUnsafeMutableBufferPointer { ins in
                let search = MiddleSnakeSearch(
                  xs: xs, ys: ys, fd: fd.baseAddress! + offset, bd: bd.baseAddress! + offset,
                  tooExpensive: tooExpensive)
                var stack: [(Int, Int, Int, Int)] = [(0, xs.count, 0, ys.count)]
                while let (xStart, xEnd, yStart, yEnd) = stack.popLast() {
                  var xoff = xStart
                  var xlim = xEnd
                  var yoff = yStart
                  var ylim = yEnd
                  while xoff < xlim && yoff < ylim && xs[xoff] == ys[yoff] {
                    xoff += 1
                    yoff += 1
                  }
                  while xlim > xoff && ylim > yoff && xs[xlim - 1] == ys[ylim - 1] {
                    xlim -= 1
                    ylim -= 1
                  }
                  if xoff == xlim {
                    for y in yoff..<ylim { ins[y] = true }
                  } else if yoff == ylim {
                    for x in xoff..<xlim { del[x] = true }
                  } else {
                    let (xmid, ymid) = search.split(xoff: xoff, xlim: xlim, yoff: yoff, ylim: ylim)
                    let degenerate = (xmid == xoff && ymid == yoff) || (xmid == xlim && ymid == ylim)
                    if degenerate || xmid < xoff || xmid > xlim || ymid < yoff || ymid > ylim {
                      for x in xoff..<xlim { del[x] = true }
                      for y in yoff..<ylim { ins[y] = true }
                    } else {
                      stack.append((xmid, xlim, ymid, ylim))
                      stack.append((xoff, xmid, yoff, ymid))
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}

/// The middle-snake search of one subproblem; `fd` and `bd` point at diagonal 0 of arrays that cover every diagonal.
private struct MiddleSnakeSearch {
  let xs: UnsafeBufferPointer<Int>
  let ys: UnsafeBufferPointer<Int>
  let fd: UnsafeMutablePointer<Int>
  let bd: UnsafeMutablePointer<Int>
  let tooExpensive: Int

  /// A point on an optimal (or, past the cost limit, a good) path through the subproblem, strictly inside it.
  func split(xoff: Int, xlim: Int, yoff: Int, ylim: Int) -> (Int, Int) {
    let dmin = xoff - ylim
    let dmax = xlim - yoff
    let fmid = xoff - yoff
    let bmid = xlim - ylim
    var fmin = fmid
    var fmax = fmid
    var bmin = bmid
    var bmax = bmid
    let odd = (fmid - bmid) & 1 != 0
    fd[fmid] = xoff
    bd[bmid] = xlim
    var cost = 1
    while true {
      if fmin > dmin {
        fmin -= 1
        fd[fmin - 1] = -1
      } else {
        fmin += 1
      }
      if fmax < dmax {
        fmax += 1
        fd[fmax + 1] = -1
      } else {
        fmax -= 1
      }
      var d = fmax
      while d >= fmin {
        let low = fd[d - 1]
        let high = fd[d + 1]
        var x = low < high ? high : low + 1
        var y = x - d
        while x < xlim && y < ylim && xs[x] == ys[y] {
          x += 1
          y += 1
        }
        fd[d] = x
        if odd && bmin <= d && d <= bmax && bd[d] <= x { return (x, y) }
        d -= 2
      }

      if bmin > dmin {
        bmin -= 1
        bd[bmin - 1] = Int.max
      } else {
        bmin += 1
      }
      if bmax < dmax {
        bmax += 1
        bd[bmax + 1] = Int.max
      } else {
        bmax -= 1
      }
      d = bmax
      while d >= bmin {
        let low = bd[d - 1]
        let high = bd[d + 1]
        var x = low < high ? low : high - 1
        var y = x - d
        while x > xoff && y > yoff && xs[x - 1] == ys[y - 1] {
          x -= 1
          y -= 1
        }
        bd[d] = x
        if !odd && fmin <= d && d <= fmax && x <= fd[d] { return (x, y) }
        d -= 2
      }

      if cost >= tooExpensive {
        var forwardBestSum = -1
        var forwardBestX = xoff
        d = fmax
        while d >= fmin {
          var x = min(fd[d], xlim)
          var y = x - d
          if ylim < y {
            x = ylim + d
            y = ylim
          }
          if forwardBestSum < x + y {
            forwardBestSum = x + y
            forwardBestX = x
          }
          d -= 2
        }
        var backwardBestSum = Int.max
        var backwardBestX = xlim
        d = bmax
        while d >= bmin {
          var x = max(xoff, bd[d])
          var y = x - d
          if y < yoff {
            x = yoff + d
            y = yoff
          }
          if x + y < backwardBestSum {
            backwardBestSum = x + y
            backwardBestX = x
          }
          d -= 2
        }
        if (xlim + ylim) - backwardBestSum < forwardBestSum - (xoff + yoff) {
          return (forwardBestX, forwardBestSum - forwardBestX)
        }
        return (backwardBestX, backwardBestSum - backwardBestX)
      }
      cost += 1
    }
  }
}

/// One step of an edit script in order: keep, delete from the old side, or insert from the new side.
enum DiffStep: Equatable {
  case keep(old: Int, new: Int)
  case delete(old: Int)
  case insert(new: Int)
}

extension SequenceDiff {
  /// The edit script as ordered steps, deletions before insertions within each change.
  var steps: [DiffStep] {
    var result: [DiffStep] = []
    result.reserveCapacity(deleted.count + inserted.count)
    var i = 0
    var j = 0
    while i < deleted.count || j < inserted.count {
      if i < deleted.count && deleted[i] {
        result.append(.delete(old: i))
        i += 1
      } else if j < inserted.count && inserted[j] {
        result.append(.insert(new: j))
        j += 1
      } else if i < deleted.count && j < inserted.count {
        result.append(.keep(old: i, new: j))
        i += 1
        j += 1
      } else if i < deleted.count {
        result.append(.delete(old: i))
        i += 1
      } else {
        result.append(.insert(new: j))
        j += 1
      }
    }
    return result
  }
}
