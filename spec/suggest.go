package spec

import (
	"fmt"
	"strings"
)

// Closest returns the candidate nearest to word in edit distance, or ""
// when none is near enough to be a likely typo. Later stages use it for
// their own "did you mean" fixes, such as unknown policy rule ids.
func Closest(word string, candidates []string) string {
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(strings.ToLower(word), c)
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	if bestDist < 0 || bestDist > max(2, len(word)/3) || bestDist >= len(word) {
		return ""
	}
	return best
}

// editDistance returns the number of single-character insertions,
// deletions, substitutions and adjacent swaps that turn a into b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// prev2, prev and cur are three rows of the distance table.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// didYouMean returns a fix suggesting the candidate closest to word, or a
// fix listing every candidate when none is close.
func didYouMean(word string, candidates []string) string {
	if c := Closest(word, candidates); c != "" {
		return fmt.Sprintf("did you mean %q?", c)
	}
	return "use one of: " + strings.Join(candidates, ", ")
}
